"""Who may do what: users and their tokens, workbench logins, roles and areas, the access log."""
