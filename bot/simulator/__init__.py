"""Talking to the bot without WeChat: the chat simulator and a stand-in for WeChat's API."""
