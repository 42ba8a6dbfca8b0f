"""The organization's daily digest: ``digest`` builds the report and the email (pure), ``queue`` reads,
deletes and releases the members' queued results (SQS), ``job`` runs one digest: reads them, writes the report,
sends the email and only then removes them."""
