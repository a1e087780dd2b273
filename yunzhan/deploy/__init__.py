"""``yunzhan publish``: output/ to an S3-compatible bucket, and ``publish --check URL``, the deploy doctor.

    target    site.toml's [deploy] + keys from the environment or the user's file → where to upload
    plan      output/ → the objects to send (headers per kind of file) and the order to send them in
    bucket    the S3 client (boto3): list, put, delete, the manifest; its errors in plain Chinese
    upload    the publish run: plan, resume from the journal, progress, manifest
    doctor    a live site's hosting traps, each with the console setting that fixes it

Named ``deploy`` because ``yunzhan/publish.py`` makes the site-wide files (sitemap, feed, open data).
"""
