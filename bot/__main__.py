"""Run the civicbot command as `python -m bot`."""
from bot.cli import main

main(prog_name="civicbot")
