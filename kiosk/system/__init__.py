"""Operating-system facades: systemd, display power, clock sanity. No Kivy."""
