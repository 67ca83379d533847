"""The ways in: the WeChat webhook, the departments' API, photo links and the portal."""
