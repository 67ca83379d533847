"""civicbot: residents report city-management problems over WeChat; departments receive them as tickets."""
from bot.app import create_app

__all__ = ["create_app"]
