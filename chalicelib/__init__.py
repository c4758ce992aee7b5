"""Membership and loyalty platform (会员管理系统): the code packaged into every Lambda function."""

__version__ = "0.1.0"
