-- Record the items of one alert file (from the Arrow view sent_arrow).
INSERT INTO alerts.sent BY NAME
SELECT * FROM sent_arrow;
