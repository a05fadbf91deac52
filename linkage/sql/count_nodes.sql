-- How many nodes the link graph has. Input: node_ids.
SELECT count(*) FROM node_ids;
