"""Reports for the owner, the county and the Ministry of Health, from either store."""
