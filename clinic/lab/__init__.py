"""The lab: the test catalogue, results on lab requests, and the worklist."""
