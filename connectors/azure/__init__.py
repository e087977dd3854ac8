"""Azure: who can reach each personal-data store through Azure RBAC and the stores' own data planes."""
