from django import template

register = template.Library()


@register.filter
def count_for(counts, key):
    """`counts|count_for:key` -> the number for key, 0 when absent (filter option counts)."""
    return counts.get(key, 0) if counts else 0
