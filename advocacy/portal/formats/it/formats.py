"""One date format everywhere in this language (FORMAT_MODULE_PATH): lists and details
alike show the day, the month's name and the year, never an ambiguous 12/02/2026."""

DATE_FORMAT = SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "j M Y, H:i"
