"""Operations the API and the CLI run that read through ``oms.db``, let ``oms.domain`` decide
and write through ``oms.db``: for them what activities are for workflows. The database layer
loads and stores; it decides nothing."""
