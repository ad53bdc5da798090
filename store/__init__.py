"""finetop's engine: the cache, the API client, sync, pricing and preflight. No Textual here."""
