ALTER TABLE `jobs` ADD `freshness_ms` integer;--> statement-breakpoint
DROP TRIGGER `rows_hold_purchases`;--> statement-breakpoint
-- As in 0008, but an answer past the job's freshness is one to buy again, so it is held like a missing one: two instances
-- refreshing one stale answer at once would both buy it.
CREATE TRIGGER `rows_hold_purchases` AFTER UPDATE OF `status` ON `rows`
WHEN NEW.`status` = 'running' AND OLD.`status` != 'running' AND NEW.`purchases` IS NOT NULL
BEGIN
	INSERT OR REPLACE INTO `held_purchases` (`workspace_id`, `provider_id`, `input_key`, `job_id`, `seq`, `worker`)
	SELECT j.`workspace_id`, p.value ->> 0, p.value ->> 1, NEW.`job_id`, NEW.`seq`, NEW.`locked_by`
	FROM `jobs` j, json_each(NEW.`purchases`) p
	WHERE j.`id` = NEW.`job_id` AND NOT EXISTS (
		SELECT 1 FROM `cache` c WHERE c.`workspace_id` = j.`workspace_id` AND c.`provider_id` = p.value ->> 0 AND c.`input_key` = p.value ->> 1
			AND (j.`freshness_ms` IS NULL OR c.`fetched_at` >= CAST(unixepoch('subsec') * 1000 AS INTEGER) - j.`freshness_ms`));
END;
