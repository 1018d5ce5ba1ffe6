from csms_tui.cli import app

app()
