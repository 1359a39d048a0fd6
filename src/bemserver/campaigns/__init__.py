"""Campaigns, campaign scopes and the user groups linked to them."""
