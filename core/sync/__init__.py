"""Background loops that push stored settings, certificates and triggers to stations."""
