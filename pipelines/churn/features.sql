-- Churn features, in Athena's dialect (Trino); the local engine runs it unchanged.
-- Sluice wraps it in one UNLOAD: each row of "churn" gets its split once, and both sets are written as Parquet, as
-- SageMaker's XGBoost reads it. So: the label first, then numbers only (a NULL feature is a missing value).
SELECT
  IF(churn = 'Yes', 1, 0) AS label,
  female,
  senior_citizen,
  partner,
  dependents,
  tenure,
  phone_service,
  paperless_billing,
  monthly_charges,
  -- total_charges is missing for customers in their first month: they have not been billed yet.
  COALESCE(total_charges, 0.0) AS total_charges,
  IF(total_charges IS NULL, 1, 0) AS total_charges_missing,
  COALESCE(total_charges, 0.0) / GREATEST(tenure, 1) AS charges_per_month,
  IF(multiple_lines = 'Yes', 1, 0) AS multiple_lines,
  IF(internet_service = 'DSL', 1, 0) AS internet_dsl,
  IF(internet_service = 'Fiber optic', 1, 0) AS internet_fiber,
  IF(online_security = 'Yes', 1, 0) AS online_security,
  IF(online_backup = 'Yes', 1, 0) AS online_backup,
  IF(device_protection = 'Yes', 1, 0) AS device_protection,
  IF(tech_support = 'Yes', 1, 0) AS tech_support,
  IF(streaming_tv = 'Yes', 1, 0) AS streaming_tv,
  IF(streaming_movies = 'Yes', 1, 0) AS streaming_movies,
  IF(contract = 'One year', 1, 0) AS contract_one_year,
  IF(contract = 'Two year', 1, 0) AS contract_two_year,
  IF(payment_method = 'Electronic check', 1, 0) AS pay_electronic_check,
  IF(payment_method = 'Mailed check', 1, 0) AS pay_mailed_check,
  IF(regexp_like(payment_method, '\(automatic\)$'), 1, 0) AS pay_automatic
FROM churn
