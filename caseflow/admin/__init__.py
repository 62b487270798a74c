"""Account administration pages. Admins manage accounts; they see no case content."""
