"""finetop's Textual app and its command line. Reads and writes only through store/."""
