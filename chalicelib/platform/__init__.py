"""Platform routes and jobs: health, the API description and docs, housekeeping jobs."""
