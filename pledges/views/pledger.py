"""Pledges views: pledger."""
