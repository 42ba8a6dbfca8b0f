"""The organization's daily digest: ``digest`` builds the report and the email (pure), ``collect`` reads the
members' queued results, writes the report, sends the email and only then removes them."""
