"""Pledges views: imports."""
