"""Photos: fetching from WeChat, cleaning with Pillow, storing, and finding the same scene."""
