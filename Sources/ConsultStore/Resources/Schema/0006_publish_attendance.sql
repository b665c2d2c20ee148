-- 0006_publish_attendance: a workshop held under the Chatham House Rule may
-- say that its attendance list can be published (issue 5: "The attendance
-- list of a Chatham House workshop may be published only when the workshop
-- says so"). Statements stay unattributed either way.
ALTER TABLE workshops ADD COLUMN publish_attendance boolean NOT NULL DEFAULT false;
