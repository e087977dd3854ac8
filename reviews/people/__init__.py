"""People and their chat accounts: linking by email, and who a chat user is to the use cases."""
