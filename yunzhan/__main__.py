from yunzhan.cli import run

run()
