"""Demo data (`civicbot demo-data`): months of tickets made by the real services, marked as demo data."""
from __future__ import annotations

# Every demo ticket's description starts with this, and every demo resident's OpenID and demo staff's username
# with DEMO_PREFIX, so nobody mistakes them for real reports; the setting records when and how they were made.
MARKER = "【演示数据】"
DEMO_PREFIX = "demo-"
DEMO_SETTING = "demo_data"
