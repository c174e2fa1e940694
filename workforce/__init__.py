"""Vendors, users and their roles, clearance levels, API tokens and the one access layer."""
