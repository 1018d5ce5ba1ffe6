"""OCPI 2.2.1, CPO role: versions and credentials both ways, locations, sessions, CDRs and
tariffs as sender (with pushes to eMSPs), tokens and commands as receiver.

:class:`core.ocpi.component.Ocpi` is what the composition root builds."""

from core.ocpi.component import Ocpi

__all__ = ["Ocpi"]
