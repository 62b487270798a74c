"""Cases: reference, status, jurisdictions, members (need-to-know), tasks and deadlines."""
