from sample_export.cli import main

raise SystemExit(main())
