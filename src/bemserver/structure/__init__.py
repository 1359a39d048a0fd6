"""The building model: sites -> buildings -> storeys -> spaces, zones, and their properties."""
