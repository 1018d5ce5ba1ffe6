"""Simulated charge stations and recorded sessions, for trying a CSMS without hardware.

* :mod:`.model` — station profiles, scenarios and answer policies, read from TOML;
* :mod:`.link` — one station's OCPP-J websocket (the core's own framing, aiohttp's client);
* :mod:`.ocpp16`, :mod:`.ocpp201` — what a station of each version says and answers;
* :mod:`.station` — one simulated station running its scenario;
* :mod:`.runner` — N stations against a CSMS, with the live and the final summary;
* :mod:`.load` — N stations as a load generator: connect, boot, then call as fast as answered
  (the benchmarks' stations);
* :mod:`.replay` — a recorded session's station side replayed, the CSMS's answers compared;
* :mod:`.cli` — ``csms-tui simulate``, ``replay`` and ``record``.

Nothing here imports the CSMS's parts: a simulated station knows the CSMS only by its URL,
so it can be pointed at any CSMS, ours or not."""
