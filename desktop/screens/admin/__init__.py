"""The admin's desk (issue 14): one folder per part."""
