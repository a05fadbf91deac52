-- A full re-link replaces every accepted link.
DELETE FROM linkage.links;
