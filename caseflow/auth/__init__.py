"""Accounts, passwords, TOTP second factor, server-side sessions."""
