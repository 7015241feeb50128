"""Pledges views: moderation."""
