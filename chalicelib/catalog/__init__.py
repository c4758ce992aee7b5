"""The catalogue's names (品类与品牌名称): the names members and staff read for the tills' category and brand codes."""
