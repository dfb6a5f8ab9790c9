"""Files on this machine: directories, profiles, the consent audit, the lock PIN, the log."""
