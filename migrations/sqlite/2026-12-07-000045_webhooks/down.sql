DROP INDEX invitations_expiry_untold;
ALTER TABLE invitations DROP COLUMN expiry_noted;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
