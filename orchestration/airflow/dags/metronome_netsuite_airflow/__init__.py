"""Helpers of the metronome_netsuite DAG (settings, warehouse profile, steps, alerts).

Kept out of DAG parsing by the dags folder's .airflowignore; the DAG file imports them.
"""
