"""Users, user groups and group memberships."""
