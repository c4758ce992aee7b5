"""BI export (数据导出): the day's events and figures as flat files for Athena, Power BI and Tableau."""
