"""The console's tabs, one module each: a pane owns its widgets, its timers, its service
queries and what the core's events mean for it. The app composes them and hands them the
events (:meth:`~csms_tui.panes.base.ConsolePane.apply`)."""
