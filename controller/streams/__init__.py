"""Stream sources relayed live: who may register and remove them (audited), and their CLI."""
