"""A province's deployment: many counties, each in its own store, and the province above them."""

from application.province.deployment import County, CountyExists, CountyNotFound, Deployment

__all__ = ["County", "CountyExists", "CountyNotFound", "Deployment"]
