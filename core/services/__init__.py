"""Business services shared by both OCPP versions (token auth, certificates, tariff…)."""
