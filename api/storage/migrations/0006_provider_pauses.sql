CREATE TABLE `provider_pauses` (
	`provider_id` text PRIMARY KEY NOT NULL,
	`paused_until` integer NOT NULL
);
